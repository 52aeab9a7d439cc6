"""What gunicorn serves the web tier with: a worker that reads each request whole before a
thread takes it, and an access logger that redacts tokens."""
