"""The loyalty platform's shared package: models, pure domain rules, data access and the HTTP edge.

Packaged as a Lambda layer; `functions/*/app.py` import from here and stay a few lines long.
"""
