import { check, LinkIdResponse } from '@coffre/core/protocol';
import { call, type Endpoint, type TestAccount } from './harness';

/** An id the server draws for the account's next link (the first of a link's two requests). */
export async function drawLinkId(server: Endpoint, account: TestAccount): Promise<string> {
  const reply = await call(server, 'POST', '/api/v1/link-ids', { token: account.token });
  if (reply.status !== 201) throw new Error(`no link id drawn: ${JSON.stringify(reply.body)}`);
  return check(LinkIdResponse, reply.body).linkId;
}
