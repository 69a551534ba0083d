"""Pure geometry functions: rotations, cameras, boxes, Procrustes alignment."""
