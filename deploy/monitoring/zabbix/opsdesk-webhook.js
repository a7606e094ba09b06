// Zabbix webhook media type "OpsDesk" (Administration → Media types → Create, type Webhook; paste this script).
// Each problem and its recovery go to OpsDesk's generic monitoring webhook (POST /api/monitoring/events) as one
// alert keyed by the problem's event id: the problem opens (or joins) a ticket, the recovery closes the loop.
//
// Parameters (name = value):
//   opsdesk_url    = https://opsdesk.example/api/monitoring/events
//   api_key        = an OpsDesk API key with the monitoring:write scope (admin console → API keys)
//   event_id       = {EVENT.ID}
//   event_value    = {EVENT.VALUE}            (1: problem, 0: recovery)
//   severity       = {EVENT.SEVERITY}
//   summary        = {EVENT.NAME}
//   details        = {ALERT.MESSAGE}
//   asset_tag      = {EVENT.TAGS.asset_tag}   (tag the host or trigger with the OpsDesk asset tag)
//   event_date     = {EVENT.DATE}             event_time = {EVENT.TIME}
//   recovery_date  = {EVENT.RECOVERY.DATE}    recovery_time = {EVENT.RECOVERY.TIME}
//   utc_offset     = +08:00                   (the Zabbix server's time zone)
//   availability   = false                    (true for triggers that mean "device down": counted in 设备在线率)

function isoTime(day, time, offset) {
    // Zabbix writes 2026.12.07 and 10:00:00 in the server's local time.
    return day.replace(/\./g, '-') + 'T' + time + offset;
}

function unexpanded(value) {
    // A macro Zabbix could not resolve arrives as itself, e.g. "{EVENT.TAGS.asset_tag}".
    return !value || /^\{[A-Z.]+[a-z_.]*\}$/.test(value);
}

function opsdeskEvent(params) {
    var problem = params.event_value === '1';
    var offset = params.utc_offset || '+08:00';
    var started = isoTime(params.event_date, params.event_time, offset);
    var event = {
        source: 'zabbix',
        key: String(params.event_id),
        status: problem ? 'firing' : 'resolved',
        severity: unexpanded(params.severity) ? null : params.severity,
        summary: params.summary,
        details: unexpanded(params.details) ? null : params.details,
        time: problem ? started : isoTime(params.recovery_date, params.recovery_time, offset),
        started_at: started,
        availability: params.availability === 'true'
    };
    if (!unexpanded(params.asset_tag)) {
        event.asset_tag = params.asset_tag;
    }
    return event;
}

function send(params) {
    var request = new HttpRequest();
    request.addHeader('Content-Type: application/json');
    request.addHeader('Authorization: Bearer ' + params.api_key);
    var answer = request.post(params.opsdesk_url, JSON.stringify(opsdeskEvent(params)));
    var status = request.getStatus();
    if (status !== 200) {
        // Zabbix retries a failed media type (Attempts, Attempt interval): a 503 while OpsDesk is away is retried.
        throw 'OpsDesk answered ' + status + ': ' + answer;
    }
    return 'OK';
}

return send(JSON.parse(value));
