"""Read queries of accounts, one module per subdomain: what a user may see, and audited reads by others.

Import from the subdomain's module (``from accounts.selectors.family import …``).
"""
