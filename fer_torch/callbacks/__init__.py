"""fer_torch.callbacks."""
