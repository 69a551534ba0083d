"""Inference for users: images, folders and videos in; parameters, meshes and pictures out."""
