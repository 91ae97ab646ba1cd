import { Observable } from 'rxjs';

/**
 * An Observable as the AsyncIterator a GraphQL subscription resolver returns. Values wait in a
 * queue until the client pulls them; `return()` (client unsubscribed or socket closed)
 * unsubscribes, so the live source stops sending for this client at once.
 */
export function observableIterator<T>(source: Observable<T>): AsyncIterableIterator<T> {
  const queue: T[] = [];
  const waiting: Array<(result: IteratorResult<T>) => void> = [];
  let failure: unknown = null;
  let done = false;
  const finish = () => {
    done = true;
    while (waiting.length > 0) waiting.shift()!({ value: undefined, done: true });
  };
  const subscription = source.subscribe({
    next: (value) => (waiting.length > 0 ? waiting.shift()!({ value, done: false }) : queue.push(value)),
    error: (error) => {
      failure = error;
      finish();
    },
    complete: finish,
  });
  const iterator: AsyncIterableIterator<T> = {
    next: () => {
      if (queue.length > 0) return Promise.resolve({ value: queue.shift()!, done: false });
      if (failure) return Promise.reject(failure);
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => waiting.push(resolve));
    },
    return: () => {
      subscription.unsubscribe();
      queue.length = 0;
      finish();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
