// @mcpx/breaker: failure handling between the router and forward() (issue 12).
// Work in progress: the policies land one at a time; see README.md.
export {}
