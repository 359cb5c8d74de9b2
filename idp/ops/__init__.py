"""Running in production: health and readiness, metrics, logs, worker processes."""
