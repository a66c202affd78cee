/**
 * Admin area (users with the Agents.Admin role). A later phase adds tool policies and the live
 * activity stream here; the route, the tab and the role check are already in place.
 */
export function AdminPlaceholder({ allowed }: { allowed: boolean }) {
  return (
    <section className="page" aria-labelledby="admin-title" data-testid="admin-page">
      <h1 id="admin-title">Admin</h1>
      {allowed ? (
        <p className="muted">Policies and the activity stream will appear here.</p>
      ) : (
        <p>You need the Agents.Admin role to see this page.</p>
      )}
    </section>
  );
}
