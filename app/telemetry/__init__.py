"""The hotline's own telemetry: Prometheus series counted in every process, their per-host
directory, and the log format (text or JSON lines, secrets redacted)."""
