package org.anode.nio;

/**
 * Counters of a node's LAN discovery (draft 4.2.6, DECISIONS 37), from
 * {@link AnodeNode#lanStatistics()}.
 *
 * @param on whether discovery runs (off: every count is zero)
 * @param announcementsSent announcements this node broadcast
 * @param announcementsRead others' announcements read and kept as hints
 * @param announcementsDropped announcements dropped unread, over the reading budget
 * @param queriesSent queries broadcast for wanted addresses
 * @param queriesAnswered queries for this node that verified and were answered by EPC_REQ
 * @param hintChecks EPC_REQs sent to the sources of hints for wanted addresses
 * @param ignored packets on the discovery port that were neither (malformed, for others, forged)
 * @param hints addresses held as hints now (bounded)
 * @param targets broadcast targets in use now (interfaces' broadcast addresses, ff02::1 scopes)
 */
public record LanStatistics(
        boolean on,
        long announcementsSent,
        long announcementsRead,
        long announcementsDropped,
        long queriesSent,
        long queriesAnswered,
        long hintChecks,
        long ignored,
        int hints,
        int targets) {}
