"""Scoring and dashboards build on tasks' progress reports (see the open issues)."""
