"""Everything needed to score: bundle, predict, reasons, points, online features."""
