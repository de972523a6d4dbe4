"""What the analytics read: one module per figure, each query one aggregate in the database.

Every selector takes a :class:`~analytics.selectors.periods.Window` (dates, end
exclusive, in UTC) and runs its queries through
:func:`guardiannest.dbrouters.replica_read`, so the read replica answers when
there is one (and the primary when the replica cannot).
"""
