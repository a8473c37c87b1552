/**
 * Anode zones (draft 2.1, 2.1.1, 2.3.1 and 2.8; DECISIONS 10-13): the zone file syntax
 * ({@link org.anode.zone.ZoneFileFormat}), validated zone files with their relays
 * ({@link org.anode.zone.ZoneFile}, {@link org.anode.zone.ZoneRelay}), the URLs zone files are
 * fetched from ({@link org.anode.zone.ZoneLocator}), an HTTP fetcher
 * ({@link org.anode.zone.ZoneFetcher}), the cache of current zone files routing asks
 * ({@link org.anode.zone.ZoneDirectory}, DECISIONS 32), and Anode addresses in DNS TXT records
 * ({@link org.anode.zone.AnodeTxtRecords}). Reading a zone file never touches the network: IP
 * literals are parsed locally and nothing but the HTTP client resolves a host name.
 */
package org.anode.zone;
