"""The client detail's tabs: one module per tab, each a :class:`DetailTab`."""
