"""fer_torch.lit."""
