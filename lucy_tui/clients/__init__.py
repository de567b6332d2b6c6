"""The client list's model: rows, the filter language, the ordered view and the shared store."""
