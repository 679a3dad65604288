"""fer_torch.inference."""
