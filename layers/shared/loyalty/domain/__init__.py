"""Pure business rules: no boto3, no Lambda, time always passed in."""
