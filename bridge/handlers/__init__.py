"""One module per protocol area; each op is a short named function `(ctx, req) -> Response`."""
