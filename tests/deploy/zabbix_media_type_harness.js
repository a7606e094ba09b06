// Runs deploy/monitoring/zabbix/opsdesk-webhook.js as Zabbix would (the script body with `value`), with an HttpRequest that records what it sends.
const fs = require('fs');
const script = fs.readFileSync(process.argv[2], 'utf8');
const params = process.argv[3];
const sent = [];
function HttpRequest() { this.headers = []; }
HttpRequest.prototype.addHeader = function (h) { this.headers.push(h); };
HttpRequest.prototype.post = function (url, body) { sent.push({url: url, headers: this.headers, body: JSON.parse(body)}); return '{}'; };
HttpRequest.prototype.getStatus = function () { return 200; };
const result = new Function('value', 'HttpRequest', script)(params, HttpRequest);
console.log(JSON.stringify({result: result, sent: sent}));
