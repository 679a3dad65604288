"""Evaluation: metrics (torchmetrics), reports, ensembles, test-time augmentation, face crops, frame sequences.

Modules: ``metrics`` (metrics.json body), ``report`` (files), ``plots`` (confusion matrix, training curves),
``ensemble`` (combine / greedy selection), ``tta``, ``faces`` (--detect-faces), ``sequence`` (n-frame vote),
``runner`` (checkpoints x dataset split -> :class:`~fer_torch.evaluation.runner.EvaluationResult`).
"""
