import type { PolicyChainView, PolicyInfo, ValueSource } from '../api/types';
import { SourceBadge } from './SettingField';
import { formatValue } from './schemaForm';

/** An effective chain as the server resolved it, read-only, with the source of every value. */
export function EffectiveChainTable({ chain, policies }: { chain: PolicyChainView; policies: PolicyInfo[] }) {
  const source = (sources: Record<string, ValueSource>, name: string) => <SourceBadge source={sources[name] ?? 'default'} />;
  return (
    <div className="table-wrap">
      <p className="hint">
        Entries from: <SourceBadge source={chain.source} />
      </p>
      {chain.entries.length === 0 ? (
        <p className="muted">No policies apply.</p>
      ) : (
        <table className="data-table effective-chain" data-testid="effective-chain">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Entry</th>
              <th scope="col">Enabled</th>
              <th scope="col">Timeout</th>
              <th scope="col">Fail mode</th>
              <th scope="col">Settings</th>
            </tr>
          </thead>
          <tbody>
            {chain.entries.map((e, i) => {
              const order = Object.keys(policies.find((p) => p.name === e.policy)?.settingsSchema.properties ?? e.settings);
              return (
                <tr key={e.id} data-entry-id={e.id}>
                  <td>{i + 1}</td>
                  <th scope="row">
                    {e.id}
                    {e.policy !== e.id && <span className="muted"> · {e.policy}</span>}
                  </th>
                  <td>
                    {e.enabled ? 'yes' : 'no'} {source(e.sources, 'enabled')}
                  </td>
                  <td>
                    {e.timeoutMs} ms {source(e.sources, 'timeoutMs')}
                  </td>
                  <td>
                    {e.failMode} {source(e.sources, 'failMode')}
                  </td>
                  <td>
                    <ul className="effective-settings">
                      {order.map((name) => (
                        <li key={name}>
                          <code>{name}</code> = <span className="value">{formatValue(e.settings[name])}</span> {source(e.sources, name)}
                        </li>
                      ))}
                    </ul>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
