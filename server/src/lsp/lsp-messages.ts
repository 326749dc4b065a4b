/**
 * The server's edge of the custom protocol: turns the plain message
 * descriptions of server/src/protocol/protocol.ts into vscode-languageserver's
 * message types, so the protocol folder itself loads no LSP library.
 */
import { NotificationType, RequestType, RequestType0 } from 'vscode-languageserver/node';
import type { NotificationMessage, RequestMessage, RequestMessage0 } from '../protocol/protocol.js';

/** The LSP request type of a custom request with params. */
export const lspRequest = <P, R>(m: RequestMessage<P, R>): RequestType<P, R, void> => new RequestType<P, R, void>(m.method);
/** The LSP request type of a custom request without params. */
export const lspRequest0 = <R>(m: RequestMessage0<R>): RequestType0<R, void> => new RequestType0<R, void>(m.method);
/** The LSP notification type of a custom notification. */
export const lspNotification = <P>(m: NotificationMessage<P>): NotificationType<P> => new NotificationType<P>(m.method);
