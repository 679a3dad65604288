"""fer_torch.data."""
