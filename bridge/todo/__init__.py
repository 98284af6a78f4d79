"""The todo app: tasks, their tools, widget and actions, `/api/tasks`, `/mcp`, the offline model."""
