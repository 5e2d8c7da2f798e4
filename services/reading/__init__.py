"""Reading the documents themselves: formats, bounded extraction, OCR and the detectors."""
