"""HTTP edge: turns requests into `qa` calls and back, and serves the widget."""
