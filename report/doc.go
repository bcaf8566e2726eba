// Package report renders what flashemu measured into files people would
// rather look at than read: wear heatmaps (SVG) and tables (CSV), endurance
// curves, and power-cut sweep summaries (HTML and Markdown).
//
// Every renderer is deterministic — the same input gives the same bytes — so
// outputs can be golden-file tested and diffed in review. The package depends
// on nothing else in flashemu; callers convert their data to its input types.
package report
