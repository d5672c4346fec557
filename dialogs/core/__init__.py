"""What every flow stands on: the engine that routes updates, the reply model, translation and formatting, text safety, flood protection and the storage ports."""
