"""Exports: hits for ground teams (GPX, KML/KMZ, GeoJSON, CSV), hit cards, coverage maps and
mission reports, training data (COCO, YOLO), and raw detections for analysts."""
