"""fer_torch.models."""
