"""HTTP routes; each module has one router, included in api.app.ROUTERS."""
