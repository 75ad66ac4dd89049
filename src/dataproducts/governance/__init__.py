"""Governance of the data mesh: lint every product (``check``), classify changes between two manifests
(``diff``), publish a product catalog (``catalog``) and standard data contracts (``odcs``).

Every module here takes the shared data product model (``dataproducts.products``) and never imports the CLI.
Rule ids are stable and documented in ``docs/governance.md``.
"""
