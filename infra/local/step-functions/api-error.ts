/**
 * An error the Step Functions API answers with: HTTP 400 and `{"__type": name, "message": ...}`,
 * which @aws-sdk/client-sfn turns into the exception of that name (`err.name`).
 */
export type ApiErrorName =
  | 'ExecutionAlreadyExists'
  | 'ExecutionDoesNotExist'
  | 'InvalidArn'
  | 'InvalidExecutionInput'
  | 'InvalidName'
  | 'InvalidToken'
  | 'SerializationException'
  | 'StateMachineDoesNotExist'
  | 'UnknownOperationException'
  | 'ValidationException';

export class ApiError extends Error {
  override readonly name: ApiErrorName;

  constructor(name: ApiErrorName, message: string) {
    super(message);
    this.name = name;
  }
}
