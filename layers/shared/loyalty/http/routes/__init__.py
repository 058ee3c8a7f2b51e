"""One powertools Router per resource; functions/*/app.py compose the ones they serve."""
