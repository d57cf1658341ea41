// Both servers count a client by one rule (IPv4 as is, IPv6 by its /64), kept in server-kit.
export { addressKey as clientAddressKey } from '@coffre/server-kit';
