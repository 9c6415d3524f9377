"""Results as data: models, the error tree, collections (imports wire; display only to be shown)."""
