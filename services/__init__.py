"""services: what the channels share, below them: the request's unit of work, job dispatch, the outbox, metrics."""
