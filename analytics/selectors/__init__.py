"""What the analytics read: one module per figure, each query one aggregate in the database.

Every selector takes a :class:`~analytics.selectors.periods.Window` (dates, end
exclusive, in UTC) and runs its query inside
:func:`guardiannest.dbrouters.replica_reads`, so the read replica answers when
there is one.
"""
