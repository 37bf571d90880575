"""Shared UI layer of the dashboard: workspace store, background jobs, CSV import, plot builders, targets."""
