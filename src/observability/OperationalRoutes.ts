/**
 * Routes for operators rather than users: probes, the Prometheus scrape and the dashboard.
 * They get no server span, no access-log line, and do not count as traffic on the dashboard,
 * or a probe every second would drown what users do.
 */
const pathOf = (url: string): string => url.split("?", 1)[0] ?? ""

export const isHealthPath = (url: string): boolean => {
  const path = pathOf(url)
  return path === "/health" || path.startsWith("/health/")
}

export const isOperationalPath = (url: string): boolean => {
  const path = pathOf(url)
  return isHealthPath(path) || path === "/metrics" || path === "/dashboard" || path.startsWith("/dashboard/")
}
