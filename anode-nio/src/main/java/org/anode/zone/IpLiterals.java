package org.anode.zone;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * IPv4 and IPv6 address literals for zr entries (draft 2.3.1, DECISIONS 12), parsed here rather than
 * with {@link InetAddress#getByName} because that falls back to a DNS lookup for anything that is not
 * a literal: reading a zone file must never touch the network.
 */
final class IpLiterals {
    private IpLiterals() {}

    /**
     * Parses a dotted-quad IPv4 literal, an IPv6 literal, or an IPv6 literal in brackets. IPv4 octets
     * are 1-3 decimal digits without leading zeros (a leading zero means octal to some parsers, so it
     * is refused as ambiguous). IPv6 scope ids ({@code %eth0}) are refused: they mean nothing outside
     * the host that wrote them. An IPv4-mapped IPv6 literal yields an {@code Inet4Address}, as the
     * JDK does for literals.
     *
     * @return the address, or null if {@code s} is not such a literal
     */
    static InetAddress parse(String s) {
        byte[] b;
        if (s.length() >= 2 && s.charAt(0) == '[' && s.charAt(s.length() - 1) == ']') {
            b = parseIpv6(s.substring(1, s.length() - 1));
        } else if (s.indexOf(':') >= 0) {
            b = parseIpv6(s);
        } else {
            b = new byte[4];
            if (!parseIpv4(s, b, 0)) {
                b = null;
            }
        }
        if (b == null) {
            return null;
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            return null; // unreachable: b is 4 or 16 bytes
        }
    }

    static boolean parseIpv4(String s, byte[] out, int off) {
        int n = s.length();
        if (n < 7 || n > 15) {
            return false;
        }
        int part = 0;
        int i = 0;
        while (part < 4) {
            int start = i;
            int v = 0;
            while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9' && i - start < 3) {
                v = v * 10 + (s.charAt(i) - '0');
                i++;
            }
            int len = i - start;
            if (len == 0 || v > 255 || (len > 1 && s.charAt(start) == '0')) {
                return false;
            }
            out[off + part] = (byte) v;
            part++;
            if (part < 4) {
                if (i >= n || s.charAt(i) != '.') {
                    return false;
                }
                i++;
            }
        }
        return i == n;
    }

    static byte[] parseIpv6(String s) {
        if (s.isEmpty() || s.length() > 45) {
            return null;
        }
        int dc = s.indexOf("::");
        if (dc >= 0 && s.indexOf("::", dc + 1) >= 0) {
            return null;
        }
        int[] head = new int[8];
        int[] tail = new int[8];
        byte[] out = new byte[16];
        int nh;
        int nt;
        if (dc < 0) {
            nh = groups(s, head, out, true);
            if (nh != 8) {
                return null;
            }
            nt = 0;
        } else {
            String h = s.substring(0, dc);
            String t = s.substring(dc + 2);
            nh = h.isEmpty() ? 0 : groups(h, head, out, false);
            nt = t.isEmpty() ? 0 : groups(t, tail, out, true);
            if (nh < 0 || nt < 0 || nh + nt > 7) {
                return null;
            }
        }
        if (nh < 0) {
            return null;
        }
        // groups() wrote an embedded IPv4 tail straight into out[12..15] and counted it as 2 groups
        // marked -1; everything else is 16-bit groups placed here.
        for (int g = 0; g < nh; g++) {
            if (head[g] >= 0) {
                out[2 * g] = (byte) (head[g] >>> 8);
                out[2 * g + 1] = (byte) head[g];
            }
        }
        for (int g = 0; g < nt; g++) {
            int pos = 8 - nt + g;
            if (tail[g] >= 0) {
                out[2 * pos] = (byte) (tail[g] >>> 8);
                out[2 * pos + 1] = (byte) tail[g];
            }
        }
        return out;
    }

    /**
     * Splits colon-separated hex groups into {@code dst}. If {@code last} is set, the final group may
     * be a dotted quad, written to {@code out[12..15]} and counted as two groups holding -1.
     *
     * @return the number of 16-bit groups, or -1 if malformed
     */
    private static int groups(String s, int[] dst, byte[] out, boolean last) {
        String[] parts = s.split(":", -1);
        int count = 0;
        for (int p = 0; p < parts.length; p++) {
            String part = parts[p];
            if (last && p == parts.length - 1 && part.indexOf('.') >= 0) {
                if (count + 2 > 8 || !parseIpv4(part, out, 12)) {
                    return -1;
                }
                dst[count++] = -1;
                dst[count++] = -1;
                continue;
            }
            if (part.isEmpty() || part.length() > 4 || count >= 8) {
                return -1;
            }
            int v = 0;
            for (int i = 0; i < part.length(); i++) {
                int d = Character.digit(part.charAt(i), 16);
                if (d < 0 || part.charAt(i) > 'f') {
                    return -1;
                }
                v = (v << 4) | d;
            }
            dst[count++] = v;
        }
        return count;
    }
}
