import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';

interface Props {
  busy: boolean;
  disabled?: boolean;
  /** Put back a message that could not be sent. */
  restore?: string | undefined;
  onRestored?: () => void;
  onSend: (text: string) => void;
  onStop: () => void;
}

/** Enter sends, Shift+Enter starts a new line; Stop replaces Send while a reply is being generated. */
export function Composer({ busy, disabled = false, restore, onRestored, onSend, onStop }: Props) {
  const [text, setText] = useState('');
  const inputRef = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    if (restore === undefined) return;
    setText((current) => (current.trim() === '' ? restore : current));
    onRestored?.();
    inputRef.current?.focus();
  }, [restore, onRestored]);

  const canSend = !busy && !disabled && text.trim() !== '';

  function submit(e?: FormEvent) {
    e?.preventDefault();
    if (!canSend) return;
    onSend(text.trim());
    setText('');
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    // isComposing: Enter that confirms an IME composition must not send.
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    }
  }

  return (
    <form className="composer" onSubmit={submit} aria-label="Send a message">
      <label htmlFor="composer-input" className="visually-hidden">
        Message
      </label>
      <textarea
        id="composer-input"
        ref={inputRef}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
        placeholder="Message the agent (Enter to send, Shift+Enter for a new line)"
        rows={1}
        disabled={disabled}
        aria-describedby="composer-hint"
      />
      <span id="composer-hint" className="visually-hidden">
        Enter sends the message. Shift+Enter starts a new line.
      </span>
      {busy ? (
        <button type="button" className="danger" onClick={onStop}>
          Stop
        </button>
      ) : (
        <button type="submit" className="primary" disabled={!canSend}>
          Send
        </button>
      )}
    </form>
  );
}
