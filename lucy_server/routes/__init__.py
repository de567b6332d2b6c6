"""The API's routers, one per area of DESIGN §4."""
