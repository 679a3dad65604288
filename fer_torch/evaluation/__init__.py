"""fer_torch.evaluation."""
