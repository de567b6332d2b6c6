"""Local state: settings, favourites, session tokens, the last session's list, and the
careful file handling (atomic writes, hostile files set aside) they share."""
