"""The HTTP edge: powertools resolvers and routers, auth from the authorizer, problem+json errors."""
