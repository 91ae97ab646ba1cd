import { ParseUUIDPipe } from '@nestjs/common';
import { invalidField } from './api-error';

/**
 * Pipe for a UUID v4 path parameter: `@Param('postId', uuidParam('postId'))`. A malformed id is a
 * 400 `validation_failed` naming the parameter, like every other invalid input.
 */
export function uuidParam(field: string): ParseUUIDPipe {
  return new ParseUUIDPipe({ version: '4', exceptionFactory: () => invalidField(field, `${field} must be a UUID`) });
}
