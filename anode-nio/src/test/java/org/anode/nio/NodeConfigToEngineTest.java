package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.anode.engine.EngineConfig;
import org.junit.jupiter.api.Test;

/** The engine's settings (draft 3 table bounds, DECISIONS 30 ERROR replies) as the node hands them over. */
class NodeConfigToEngineTest {
    @Test
    void defaultsAgree() {
        assertEquals(EngineConfig.defaults(), AnodeNodeConfig.defaults().engineConfig());
    }

    @Test
    void everyEngineSettingIsCarriedOver() {
        EngineConfig e = AnodeNodeConfig.builder()
                .maxPeers(7)
                .maxEndpointsPerPeer(3)
                .maxPendingPings(11)
                .newPeerRate(40)
                .newPeerRatePerSource(9)
                .errorReplies(true)
                .errorReplyRate(5)
                .build()
                .engineConfig();
        assertEquals(7, e.maxPeers());
        assertEquals(3, e.maxEndpointsPerPeer());
        assertEquals(11, e.maxPendingPings());
        assertEquals(40, e.newPeerRate());
        assertEquals(9, e.newPeerRatePerSource());
        assertEquals(true, e.errorReplies());
        assertEquals(5, e.errorReplyRate());
        assertNotEquals(EngineConfig.defaults(), e);
    }

    @Test
    void theDerivedPerSourceRateIsCarriedOver() {
        EngineConfig e = AnodeNodeConfig.builder().newPeerRate(40).build().engineConfig();
        assertEquals(5, e.newPeerRatePerSource());
        assertEquals(EngineConfig.builder().newPeerRate(40).build(), e);
    }

    @Test
    void outOfRangeEngineSettingsAreRejected() {
        assertThrows(
                IllegalArgumentException.class, () -> EngineConfig.builder().maxPeers(0));
        assertThrows(
                IllegalArgumentException.class, () -> EngineConfig.builder().maxEndpointsPerPeer(65));
        assertThrows(
                IllegalArgumentException.class, () -> EngineConfig.builder().errorReplyRate(10_001));
    }
}
