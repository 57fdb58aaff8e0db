// Texts of the dashboard in Chinese and English, and the number and date
// formats of each language (Intl, zh-CN / en-GB). The chosen language is kept
// in localStorage under "banlie.lang".

// The reporting time zone of the server (Asia/Shanghai unless BANLIE_TZ says
// otherwise). The API does not publish it, so the page reads it from
// <html data-zone="…" data-zone-offset="…"> (see index.html).
export const ZONE = document.documentElement.dataset.zone || "Asia/Shanghai";
export const ZONE_OFFSET = document.documentElement.dataset.zoneOffset || "+08:00";

const texts = {
  zh: {
    "title": "上合示范区中欧班列",
    "subtitle": "班列开行、集装箱与海铁联运数据看板",
    "nav.label": "主导航",
    "nav.overview": "概览",
    "nav.routes": "线路",
    "nav.runs": "班列",
    "nav.summaries": "月报",
    "nav.admin": "管理",
    "adm.heading": "管理：Webhook",
    "adm.intro": "需要管理员（admin）令牌。令牌只保存在本标签页（sessionStorage）中，与“登记发车”共用。",
    "adm.show": "查看",
    "adm.webhooks": "Webhook",
    "adm.needToken": "此页需要管理员（admin）令牌：请在上方“访问令牌”中输入。",
    "adm.401": "令牌无效或已撤销（401），请重新输入管理员令牌。",
    "adm.403": "此页需要管理员（admin）令牌，此令牌的权限不足（403）。",
    "adm.failed": "无法加载Webhook（{status}）：{detail}",
    "adm.network": "网络错误，无法加载Webhook，请稍后重试。",
    "adm.none": "还没有Webhook。",
    "adm.active": "启用",
    "adm.inactive": "已停用",
    "adm.byHand": "（手动停用）",
    "adm.events": "事件",
    "adm.allEvents": "全部事件（*）",
    "adm.state": "状态",
    "adm.failingSince": "连续失败自",
    "adm.description": "说明",
    "adm.created": "创建于",
    "adm.deliveries": "最近{n}次推送",
    "adm.deliveriesLabel": "{url}的最近推送（可左右滚动）",
    "adm.noDeliveries": "还没有推送。",
    "adm.col.type": "事件类型",
    "adm.col.status": "状态",
    "adm.col.attempts": "尝试次数",
    "adm.col.code": "最后状态码",
    "adm.col.latency": "耗时",
    "adm.col.next": "下次重试",
    "adm.col.when": "时间",
    "adm.col.response": "响应",
    "adm.status.pending": "等待重试",
    "adm.status.delivered": "已送达",
    "adm.status.failed": "失败",
    "adm.ms": "{n}毫秒",
    "adm.response": "响应内容",
    "adm.error": "错误原因",
    "adm.new": "添加Webhook",
    "adm.url": "接收地址（URL）",
    "adm.descriptionOpt": "说明（可选）",
    "adm.add": "添加",
    "adm.addFailed": "未能添加（{status}）：{detail}",
    "adm.secretOnce": "签名密钥只显示这一次：请现在复制保存。以后只能轮换生成新的密钥。",
    "adm.secret": "签名密钥",
    "adm.deactivate": "停用",
    "adm.activate": "启用",
    "adm.deactivateLabel": "停用{url}",
    "adm.activateLabel": "启用{url}",
    "adm.delete": "删除",
    "adm.deleteLabel": "删除{url}",
    "adm.confirmDelete": "确定删除推送到{url}的Webhook吗？它的推送记录也会一并删除。",
    "adm.deactivated": "已停用。",
    "adm.activated": "已启用，从现在起提交的事件会推送。",
    "adm.deleted": "已删除。",
    "adm.actFailed": "未成功（{status}）：{detail}",
    "adm.col.action": "操作",
    "adm.retry": "重试",
    "adm.retryLabel": "重试{when}的{type}推送",
    "adm.retried": "已安排重试。",
    "sum.badPeriod": "“{period}”不是月份（应为YYYY-MM），没有这期月报。",
    "signin.title": "需要访问令牌",
    "signin.help": "本服务的数据需要令牌才能查看（查看员及以上）。令牌只保存在本标签页中。",
    "signin.label": "访问令牌",
    "signin.submit": "查看数据",
    "signin.rejected": "令牌无效或已撤销，请重新输入。",
    "lang.switch": "English",
    "lang.switchLabel": "Switch to English",
    "skip": "跳到正文",
    "loading": "正在加载…",
    "error.load": "无法加载数据：",
    "updated": "数据更新于{time}",
    "checked": "{time}已检查，数据无变化",
    "refresh.off": "自动刷新已关闭",
    "refresh.every": "每{n}秒自动刷新",
    "live.on": "实时更新",
    "live.fallback": "{refresh}（实时更新不可用）",

    "ov.heading": "概览",
    "ov.pickers": "统计期",
    "ov.year": "年份",
    "ov.through": "截至月份",
    "ov.period": "{period}，与{last}年同期相比",
    "ov.tilesHeading": "累计数据",
    "tile.runs": "中欧班列开行",
    "tile.runs.unit": "列",
    "tile.containers": "中欧班列集装箱",
    "tile.containers.unit": "箱",
    "tile.teu": "中欧班列标箱",
    "tile.teu.unit": "标箱",
    "tile.sea_rail_teu": "海铁联运箱量",
    "tile.sea_rail_teu.unit": "标箱",
    "tile.lastYear": "去年同期 {n}",
    "ov.ad": "到发{n}列",
    "ov.corridors": "西、中、东通道分别开行{w}列、{c}列、{e}列",
    "ov.laden": "综合重箱率{pct}",
    "ov.sep": "；",
    "yoy": "同比 {pct}",
    "yoy.none": "同比 —（去年同期为零）",
    "ov.targets": "年度目标",
    "ov.targets.none": "{year}年没有设定目标。",
    "target.of": "{actual} / {value} {unit}",
    "target.pct": "完成{pct}",
    "target.projection": "预计全年{n}{unit}（{method}）",
    "target.method.seasonal": "按去年季节规律推算",
    "target.method.run_rate": "按日均进度推算",
    "target.reachDate": "预计{date}达成",
    "target.reachAfterYear": "按近90天的速度，要到{date}才能达成，晚于年底",
    "target.missed": "全年完成{n}{unit}，未达成目标，差{short}{unit}",
    "target.noReachDate": "近90天无数据，无法预计达成日期",
    "target.onTrack": "进度正常",
    "target.offTrack": "进度落后",
    "target.reached": "已于{date}达成",
    "target.reachedBy": "第{value}列为{number}次（{route}），{date}发车",
    "target.asOf": "截至{date}",
    "target.title": "{year}年目标：{scope}{value} {unit}",
    "ov.chart": "中欧班列月度开行列数",
    "ov.chart.this": "{year}年",
    "ov.chart.last": "{year}年",
    "ov.chart.table": "以表格查看",
    "ov.chart.alt": "{year}年与{last}年每月中欧班列开行列数对比图；数据见下方表格。",
    "ov.latest": "最新班列",
    "ov.latestUpTo": "截至{date}最新发车的10列中欧班列",
    "ov.latest.none": "截至{date}没有已发车的中欧班列。",
    "ov.chart.total": "{period}合计 {n}",
    "ov.chart.noData": "无数据",

    "col.month": "月份",
    "col.departed": "发车时间",
    "col.route": "线路",
    "col.number": "车次",
    "col.direction": "方向",
    "col.status": "状态",
    "col.containers": "集装箱",
    "col.teu": "标箱",
    "col.cargo": "货物",
    "col.runs": "开行列数",

    "dir.outbound": "去程",
    "dir.inbound": "回程",
    "status.planned": "计划",
    "status.departed": "已发车",
    "status.arrived": "已到达",
    "status.cancelled": "已取消",
    "mode.rail": "铁路（中欧班列）",
    "mode.sea_rail": "海铁联运",
    "mode.sea": "海运",
    "mode.road": "公路（TIR）",
    "mode.air": "航空",
    "unit.runs": "列",
    "unit.containers": "箱",
    "unit.teu": "标箱",
    "unit.sea_rail_teu": "标箱",
    "scope.all": "全部",
    "scope.rail": "中欧班列",
    "scope.route": "线路 {code} ",
    "metric.runs": "开行",
    "metric.containers": "集装箱",
    "metric.teu": "标箱",
    "metric.sea_rail_teu": "海铁联运",

    "rt.heading": "线路网络",
    "rt.network": "在运营线路",
    "rt.destinations": "目的地",
    "rt.countries": "国家",
    "rt.filter": "运输方式",
    "rt.all": "全部",
    "rt.schematic": "通道示意图",
    "rt.schematic.alt": "{n}条线路的站点示意图：圆点为站点，菱形为口岸。",
    "rt.legend.stop": "站点",
    "rt.legend.border": "口岸（边境）",
    "rt.legend.transit": "经停",
    "rt.via": "经{border}",
    "rt.direct": "直达",
    "rt.list": "线路列表",
    "rt.opened": "开通于 {date}",
    "rt.openedUnknown": "开通日期未知",
    "rt.inactive": "已停运",
    "rt.stops": "站点",
    "rt.borders": "口岸",
    "rt.noBorders": "无",
    "rt.count": "共{n}条线路",
    "rt.none": "没有此类线路。",
    "role.origin": "始发",
    "role.border": "口岸",
    "role.transit": "经停",
    "role.destination": "终到",

    "runs.heading": "班列记录",
    "runs.filters": "筛选",
    "runs.any": "全部",
    "runs.from": "发车日期自",
    "runs.to": "发车日期至",
    "runs.apply": "筛选",
    "runs.reset": "清除筛选",
    "runs.more": "加载更多",
    "runs.end": "已显示全部记录。",
    "runs.none": "没有符合条件的记录。",
    "runs.empty": "还没有登记任何班列。",
    "runs.badFilter": "筛选条件有误：{detail}",
    "runs.toBeforeFrom": "结束日期不能早于开始日期",
    "runs.shown": "显示{n}条",
    "runs.new": "新",
    "runs.overdue": "逾期",
    "runs.overdueOnly": "仅逾期（计划发车已过一天）",
    "runs.overdueBadge": "逾期",
    "runs.overdueTitle": "计划发车时间已过一天以上，仍为计划状态",
    "runs.tableLabel": "班列记录表（可左右滚动）",
    "csv.download": "下载CSV",
    "csv.hint": "按当前筛选条件导出全部记录",
    "csv.saving": "正在准备runs.csv…",
    "csv.saved": "已下载{name}。",
    "csv.failed": "未能下载CSV（{status}）：{detail}",
    "csv.network": "网络错误，未能下载CSV，请重试。",
    "imp.heading": "导入CSV",
    "imp.intro": "从CSV文件（UTF-8或GB18030，逗号、分号或制表符分隔，首行为表头：route,number,direction,departed_at,…，或线路,车次,方向,发车时间,…）批量登记班列。需要操作员令牌（在上方“登记发车”中输入）。文件先经检查，确认后才写入；已存在且内容相同的记录会跳过。",
    "imp.file": "CSV文件",
    "imp.check": "检查文件",
    "imp.checking": "正在检查…",
    "imp.checkHeading": "{file}的检查结果：",
    "imp.plan": "可导入{created}列新记录，{skipped}列已存在（将跳过）。尚未写入任何记录。",
    "imp.nothing": "没有需要导入的新记录：文件中的{skipped}列均已存在。",
    "imp.confirm": "导入{n}列",
    "imp.confirm1": "导入1列",
    "imp.importing": "正在导入…",
    "imp.done": "已导入{created}列，{skipped}列已存在。",
    "imp.problems": "文件中有{n}处问题，未导入任何记录。请改正后重新检查。",
    "imp.problems1": "文件中有1处问题，未导入任何记录。请改正后重新检查。",
    "imp.problemsHeading": "{file}中的问题",
    "imp.line": "第{line}行",
    "imp.header": "表头",
    "imp.noFile": "请先选择CSV文件。",
    "imp.needToken": "请先在“登记发车”的“访问令牌”中输入操作员令牌。",
    "imp.notUtf8": "文件既不是UTF-8也不是GB18030（GBK）文本：请另存为“CSV UTF-8”后重新选择。",
    "imp.unreadable": "无法读取所选文件，请重新选择。",
    "imp.400": "文件无法读取（400）：{detail}",
    "imp.400list": "文件无法读取（400），未导入任何记录：",
    "imp.401": "令牌无效或已撤销，请在“登记发车”中重新输入。",
    "imp.403": "导入需要操作员（operator）令牌，此令牌的权限不足。",
    "imp.413": "文件太大，超过单次请求的上限：请拆分为较小的文件（已导入的记录重新提交时会跳过）。",
    "imp.415": "服务器不接受这种格式：文件须为UTF-8编码的CSV文本。",
    "imp.422": "导入未被接受（422）：{detail}",
    "imp.429": "请求过于频繁，请稍后重试。",
    "imp.failed": "导入未成功（{status}）：{detail}",
    "imp.network": "网络错误，请重试（重试使用同一幂等键，不会重复写入）。",
    "form.heading": "登记发车",
    "form.intro": "需要操作员（operator）令牌。令牌只保存在本标签页（sessionStorage）中。",
    "form.token": "访问令牌",
    "form.tokenSaved": "已保存令牌（仅本标签页）",
    "form.forget": "清除令牌",
    "form.route": "线路",
    "form.number": "车次",
    "form.direction": "方向",
    "form.departed": "发车时间（报告时区 UTC{offset}）",
    "form.containers": "集装箱（箱）",
    "form.teu": "标箱（TEU）",
    "form.cargo": "货物（可选）",
    "form.submit": "登记",
    "form.sending": "正在提交…",
    "form.created": "已登记：{number}次，{route}，{date}。",
    "form.failed": "未能登记（{status}）：{detail}",
    "form.network": "网络错误，请重试（同一请求可安全重试）。",
    "form.needToken": "请先输入令牌。",
    "form.noRoutes": "还没有任何线路：需要管理员先创建线路，才能登记发车。",
    "form.local": "请先改正标出的字段。",
    "form.serverDetail": "服务器原文",
    "err.required": "必填",
    "err.integer": "须为不小于0的整数",
    "err.maxChars": "最多{n}个字符",
    "problem.400": "有字段的格式不对",
    "problem.401": "令牌无效或已撤销",
    "problem.403": "令牌的权限不足",
    "problem.404": "找不到所请求的数据",
    "problem.409": "重复登记：该线路同一车次当天已有记录",
    "problem.413": "提交的内容太大",
    "problem.415": "提交的格式不对",
    "problem.422": "有字段不符合要求",
    "problem.429": "请求过于频繁，请稍后重试",
    "problem.429wait": "请求过于频繁，请{n}秒后重试",
    "problem.5xx": "服务器出错，请稍后重试",
    "problem.other": "请求未成功",

    "sum.heading": "月度简报",
    "sum.list": "月份",
    "sum.all": "所有简报",
    "sum.none": "还没有月报。月报在每个有班列数据的月份结束后自动生成。",
    "sum.missing": "{period}的月报还没有生成。月报在该月结束后自动生成（该月须有班列数据）。",
    "sum.noneList": "暂无",
    "sum.html": "网页版（中文）",
    "sum.htmlEn": "网页版（英文）",
    "sum.generated": "生成于{time}",
    "sum.title": "{period}中欧班列运行简报",
    "search.label": "查找班列或集装箱",
    "search.placeholder": "车次或箱号",
    "search.submit": "查找",
    "search.none": "没有找到“{q}”。",
    "search.failed": "无法查找：{detail}",
    "run.heading": "班列详情",
    "run.back": "返回班列记录",
    "run.notFound": "没有编号为{id}的班列记录。",
    "run.facts": "运行情况",
    "run.journey": "途经站点与事件",
    "run.arrived": "到达时间",
    "run.position": "当前位置",
    "run.at": "在{last}",
    "run.between": "已过{last}，前往{next}",
    "run.arrivedAt": "已到达{stop}",
    "run.eta": "预计到达",
    "run.etaBasis.operator": "操作员预报",
    "run.etaBasis.route_history": "按本线路近期运行时间推算",
    "run.transit": "全程运行时间",
    "run.days": "{n}天",
    "run.boxes": "箱号",
    "run.here": "当前位置",
    "run.next": "下一站",
    "run.delete": "删除班列",
    "run.confirmDelete": "确定删除{number}次班列的记录吗？途中事件也会一并删除（审计日志保留记录）。",
    "ev.heading": "登记途中事件",
    "ev.type": "事件",
    "ev.type.departed": "发车",
    "ev.type.arrived": "到达",
    "ev.type.border_crossed": "通关过境",
    "ev.type.gauge_changed": "换装（换轨）",
    "ev.type.held": "滞留",
    "ev.type.estimated_arrival": "预计到达",
    "ev.stop": "站点",
    "ev.at": "时间（报告时区）",
    "ev.reason": "滞留原因",
    "ev.eta": "预计到达终点时间",
    "ev.note": "备注（可选）",
    "ev.submit": "登记事件",
    "ev.arrival": "到达终点",
    "ev.recorded": "已登记：{type}，{stop}，{at}。",
    "ev.estimate": "预计{eta}到达（{at}预报）",
    "ev.retract": "撤销",
    "ev.retractLabel": "撤销{stop}的{type}",
    "ev.confirmRetract": "确定撤销{stop}的“{type}”事件吗？审计日志保留记录。",
    "edit.heading": "修改或删除班列",
    "edit.arrived": "到达时间（报告时区）",
    "edit.submit": "保存修改",
    "edit.saved": "已保存。",
    "ov.transit": "在途班列",
    "ov.transit.none": "目前没有在途班列。",
    "ov.transit.label": "在途班列（可左右滚动）",
    "col.position": "当前位置",
    "col.eta": "预计到达",
    "rt.transit": "运行时间中位数：去程{out}，回程{in}（已到达{n}列）",
    "rt.withinPlan": "，{pct}在计划的{plan}天内到达",
  },
  en: {
    "title": "SCO Zone China–Europe Railway Express",
    "subtitle": "Train runs, containers and sea-rail volumes",
    "nav.label": "Main",
    "nav.overview": "Overview",
    "nav.routes": "Routes",
    "nav.runs": "Runs",
    "nav.summaries": "Summaries",
    "nav.admin": "Admin",
    "adm.heading": "Admin: webhooks",
    "adm.intro": "Needs an admin token. The token is kept in this tab only (sessionStorage), shared with “Log a departure”.",
    "adm.show": "Show",
    "adm.webhooks": "Webhooks",
    "adm.needToken": "This view needs an admin token: type it in “Access token” above.",
    "adm.401": "The token is unknown or revoked (401); type an admin token again.",
    "adm.403": "This view needs an admin token; this token's role is too low (403).",
    "adm.failed": "Webhooks not loaded ({status}): {detail}",
    "adm.network": "Network error: the webhooks were not loaded; try again.",
    "adm.none": "No webhooks yet.",
    "adm.active": "active",
    "adm.inactive": "disabled",
    "adm.byHand": "(turned off by hand)",
    "adm.events": "Events",
    "adm.allEvents": "every event (*)",
    "adm.state": "State",
    "adm.failingSince": "Failing since",
    "adm.description": "Description",
    "adm.created": "Created",
    "adm.deliveries": "Last {n} deliveries",
    "adm.deliveriesLabel": "Last deliveries to {url} (scrolls sideways)",
    "adm.noDeliveries": "No deliveries yet.",
    "adm.col.type": "Event type",
    "adm.col.status": "Status",
    "adm.col.attempts": "Attempts",
    "adm.col.code": "Last status",
    "adm.col.latency": "Latency",
    "adm.col.next": "Next try",
    "adm.col.when": "When",
    "adm.col.response": "Answer",
    "adm.status.pending": "pending",
    "adm.status.delivered": "delivered",
    "adm.status.failed": "failed",
    "adm.ms": "{n} ms",
    "adm.response": "Response",
    "adm.error": "Error",
    "adm.new": "Add a webhook",
    "adm.url": "Receiver URL",
    "adm.descriptionOpt": "Description (optional)",
    "adm.add": "Add",
    "adm.addFailed": "Not added ({status}): {detail}",
    "adm.secretOnce": "The signing secret is shown this once: copy it now. Later it can only be replaced by a new one (rotate-secret).",
    "adm.secret": "Signing secret",
    "adm.deactivate": "Deactivate",
    "adm.activate": "Activate",
    "adm.deactivateLabel": "Deactivate {url}",
    "adm.activateLabel": "Activate {url}",
    "adm.delete": "Delete",
    "adm.deleteLabel": "Delete {url}",
    "adm.confirmDelete": "Delete the webhook to {url}? Its deliveries are deleted with it.",
    "adm.deactivated": "Deactivated.",
    "adm.activated": "Activated: events that commit from now on are delivered.",
    "adm.deleted": "Deleted.",
    "adm.actFailed": "Not done ({status}): {detail}",
    "adm.col.action": "Action",
    "adm.retry": "Retry",
    "adm.retryLabel": "Retry the {type} delivery of {when}",
    "adm.retried": "Retry scheduled.",
    "sum.badPeriod": "“{period}” is not a month (YYYY-MM): there is no such summary.",
    "signin.title": "A token is needed",
    "signin.help": "This server shows its data to token holders only (viewer or higher). The token is kept in this browser tab only.",
    "signin.label": "Access token",
    "signin.submit": "Show the data",
    "signin.rejected": "The token is unknown or revoked; type it again.",
    "lang.switch": "中文",
    "lang.switchLabel": "切换到中文",
    "skip": "Skip to content",
    "loading": "Loading…",
    "error.load": "Could not load the data: ",
    "updated": "Data updated {time}",
    "checked": "Checked {time}, no change",
    "refresh.off": "Automatic refresh is off",
    "refresh.every": "Refreshes every {n} s",
    "live.on": "Live",
    "live.fallback": "{refresh} (live updates unavailable)",

    "ov.heading": "Overview",
    "ov.pickers": "Period",
    "ov.year": "Year",
    "ov.through": "Through month",
    "ov.period": "{period}, compared with the same months of {last}",
    "ov.tilesHeading": "Year to date",
    "tile.runs": "China–Europe trains",
    "tile.runs.unit": "trains",
    "tile.containers": "China–Europe train containers",
    "tile.containers.unit": "boxes",
    "tile.teu": "China–Europe train TEU",
    "tile.teu.unit": "TEU",
    "tile.sea_rail_teu": "Sea-rail intermodal volume",
    "tile.sea_rail_teu.unit": "TEU",
    "tile.lastYear": "Same period last year: {n}",
    "ov.ad": "{n} arrivals and departures",
    "ov.corridors": "western, central and eastern corridors: {w}, {c} and {e} trains",
    "ov.laden": "loaded-container ratio {pct}",
    "ov.sep": " · ",
    "yoy": "{pct} year on year",
    "yoy.none": "— year on year (no base last year)",
    "ov.targets": "Targets for the year",
    "ov.targets.none": "No targets set for {year}.",
    "target.of": "{actual} / {value} {unit}",
    "target.pct": "{pct} done",
    "target.projection": "Projected for the year: {n} {unit} ({method})",
    "target.method.seasonal": "following last year's seasonal pattern",
    "target.method.run_rate": "at the daily run rate so far",
    "target.reachDate": "Projected to be reached on {date}",
    "target.reachAfterYear": "At the last 90 days' pace it would be reached only on {date}, after the year's end",
    "target.missed": "The year closed at {n} {unit}: the target was missed by {short} {unit}",
    "target.noReachDate": "No reach date: nothing counted in the last 90 days",
    "target.onTrack": "on track",
    "target.offTrack": "behind",
    "target.reached": "Reached on {date}",
    "target.reachedBy": "number {value}: train {number} ({route}), departed {date}",
    "target.asOf": "as of {date}",
    "target.title": "{year} target: {value} {unit}{scope}",
    "ov.chart": "China–Europe trains per month",
    "ov.chart.this": "{year}",
    "ov.chart.last": "{year}",
    "ov.chart.table": "Show as a table",
    "ov.chart.alt": "Chart of China–Europe trains per month in {year} against {last}; the table below holds the same figures.",
    "ov.latest": "Latest departures",
    "ov.latestUpTo": "The 10 latest China–Europe trains departed up to {date}",
    "ov.latest.none": "No China–Europe train departed up to {date}.",
    "ov.chart.total": "{period} total {n}",
    "ov.chart.noData": "no data",

    "col.month": "Month",
    "col.departed": "Departed",
    "col.route": "Route",
    "col.number": "Train",
    "col.direction": "Direction",
    "col.status": "Status",
    "col.containers": "Containers",
    "col.teu": "TEU",
    "col.cargo": "Cargo",
    "col.runs": "Trains",

    "dir.outbound": "outbound",
    "dir.inbound": "inbound",
    "status.planned": "planned",
    "status.departed": "departed",
    "status.arrived": "arrived",
    "status.cancelled": "cancelled",
    "mode.rail": "Rail (China–Europe trains)",
    "mode.sea_rail": "Sea-rail",
    "mode.sea": "Sea",
    "mode.road": "Road (TIR)",
    "mode.air": "Air",
    "unit.runs": "trains",
    "unit.containers": "containers",
    "unit.teu": "TEU",
    "unit.sea_rail_teu": "sea-rail TEU",
    "scope.all": "",
    "scope.rail": " (China–Europe trains)",
    "scope.route": " on route {code}",
    "metric.runs": "runs",
    "metric.containers": "containers",
    "metric.teu": "TEU",
    "metric.sea_rail_teu": "sea-rail TEU",

    "rt.heading": "Route network",
    "rt.network": "Active routes",
    "rt.destinations": "Destinations",
    "rt.countries": "Countries",
    "rt.filter": "Mode",
    "rt.all": "All",
    "rt.schematic": "Corridors",
    "rt.schematic.alt": "Schematic of {n} routes: dots are stops, diamonds are border crossings.",
    "rt.legend.stop": "stop",
    "rt.legend.border": "border crossing",
    "rt.legend.transit": "transit",
    "rt.via": "via {border}",
    "rt.direct": "direct",
    "rt.list": "Routes",
    "rt.opened": "opened {date}",
    "rt.openedUnknown": "opening date unknown",
    "rt.inactive": "inactive",
    "rt.stops": "Stops",
    "rt.borders": "Border crossings",
    "rt.noBorders": "none",
    "rt.count": "{n} routes",
    "rt.none": "No routes of this mode.",
    "role.origin": "origin",
    "role.border": "border",
    "role.transit": "transit",
    "role.destination": "destination",

    "runs.heading": "Run log",
    "runs.filters": "Filters",
    "runs.any": "any",
    "runs.from": "Departed from",
    "runs.to": "Departed to",
    "runs.apply": "Apply filters",
    "runs.reset": "Clear filters",
    "runs.more": "Load more",
    "runs.end": "That is every run.",
    "runs.none": "No runs match.",
    "runs.empty": "No runs logged yet.",
    "runs.badFilter": "The filters cannot be used: {detail}",
    "runs.toBeforeFrom": "the end date must not be before the start date",
    "runs.shown": "{n} shown",
    "runs.new": "new",
    "runs.overdue": "Overdue",
    "runs.overdueOnly": "overdue only (planned, a day past departure)",
    "runs.overdueBadge": "overdue",
    "runs.overdueTitle": "Still planned more than a day after its departure time",
    "runs.tableLabel": "Run log (scrolls sideways)",
    "csv.download": "Download CSV",
    "csv.hint": "every run the applied filters select",
    "csv.saving": "Preparing runs.csv…",
    "csv.saved": "{name} saved.",
    "csv.failed": "Could not download the CSV ({status}): {detail}",
    "csv.network": "Network error: the CSV was not downloaded; try again.",
    "imp.heading": "Import CSV",
    "imp.intro": "Log many runs at once from a CSV file (UTF-8 or GB18030, separated by commas, semicolons or tabs, header line first: route,number,direction,departed_at,… or 线路,车次,方向,发车时间,…). Needs an operator token (typed under “Log a departure”). The file is checked first and written only when you confirm; lines already stored with the same values are skipped.",
    "imp.file": "CSV file",
    "imp.check": "Check file",
    "imp.checking": "Checking…",
    "imp.checkHeading": "Check of {file}:",
    "imp.plan": "{created} new runs to import, {skipped} already stored (skipped). Nothing is written yet.",
    "imp.nothing": "Nothing new to import: all {skipped} runs of the file are already stored.",
    "imp.confirm": "Import {n} runs",
    "imp.confirm1": "Import 1 run",
    "imp.importing": "Importing…",
    "imp.done": "{created} runs imported, {skipped} already stored.",
    "imp.problems": "{n} problems in the file; nothing was imported. Correct them and check the file again.",
    "imp.problems1": "1 problem in the file; nothing was imported. Correct it and check the file again.",
    "imp.problemsHeading": "Problems in {file}",
    "imp.line": "Line {line}",
    "imp.header": "Header",
    "imp.noFile": "Choose a CSV file first.",
    "imp.needToken": "Type an operator token first (“Access token” under “Log a departure”).",
    "imp.notUtf8": "The file is neither UTF-8 nor GB18030 (GBK) text: save it as “CSV UTF-8” and choose it again.",
    "imp.unreadable": "The chosen file could not be read; choose it again.",
    "imp.400": "The file cannot be read (400): {detail}",
    "imp.400list": "The file cannot be read (400); nothing was imported:",
    "imp.401": "The token is unknown or revoked; type it again under “Log a departure”.",
    "imp.403": "Importing needs an operator token; this token's role is too low.",
    "imp.413": "The file is larger than one request may be: split it into smaller files (lines already imported are skipped when sent again).",
    "imp.415": "The server refused the file's type: it must be CSV text in UTF-8.",
    "imp.422": "The import was refused (422): {detail}",
    "imp.429": "Too many requests; wait a moment and try again.",
    "imp.failed": "The import failed ({status}): {detail}",
    "imp.network": "Network error; try again (a retry reuses the same Idempotency-Key, so nothing is written twice).",
    "form.heading": "Log a departure",
    "form.intro": "Needs an operator token. The token is kept in this tab only (sessionStorage).",
    "form.token": "Access token",
    "form.tokenSaved": "Token kept for this tab",
    "form.forget": "Forget token",
    "form.route": "Route",
    "form.number": "Train number",
    "form.direction": "Direction",
    "form.departed": "Departure time (reporting zone, UTC{offset})",
    "form.containers": "Containers",
    "form.teu": "TEU",
    "form.cargo": "Cargo (optional)",
    "form.submit": "Log departure",
    "form.sending": "Sending…",
    "form.created": "Logged: train {number}, {route}, {date}.",
    "form.failed": "Not logged ({status}): {detail}",
    "form.network": "Network error; try again (the same request can be retried safely).",
    "form.needToken": "Type the token first.",
    "form.noRoutes": "There are no routes yet: an administrator must create routes before departures can be logged.",
    "form.local": "Correct the marked fields first.",
    "form.serverDetail": "Server's message",
    "err.required": "is required",
    "err.integer": "must be a whole number, 0 or more",
    "err.maxChars": "must be at most {n} characters",
    "problem.400": "some fields have the wrong format",
    "problem.401": "the token is unknown or revoked",
    "problem.403": "the token's role is too low",
    "problem.404": "not found",
    "problem.409": "a duplicate: this train is already logged on that route and day",
    "problem.413": "the request is too large",
    "problem.415": "the request has the wrong format",
    "problem.422": "some values are not accepted",
    "problem.429": "too many requests; try again shortly",
    "problem.429wait": "too many requests; retry after {n} s",
    "problem.5xx": "the server failed; try again later",
    "problem.other": "the request failed",

    "sum.heading": "Monthly summaries",
    "sum.list": "Month",
    "sum.all": "Every summary",
    "sum.none": "There are no summaries yet. A summary is written automatically after each month with train data ends.",
    "sum.missing": "There is no summary for {period} yet. Summaries are written automatically after the month ends (when it has train data).",
    "sum.noneList": "none yet",
    "sum.html": "As a web page (Chinese)",
    "sum.htmlEn": "As a web page (English)",
    "sum.generated": "Generated {time}",
    "sum.title": "China–Europe trains, {period}",
    "search.label": "Find a train or container",
    "search.placeholder": "Train or container no.",
    "search.submit": "Find",
    "search.none": "Nothing found for “{q}”.",
    "search.failed": "Cannot search: {detail}",
    "run.heading": "Run",
    "run.back": "Back to the run log",
    "run.notFound": "There is no run with id {id}.",
    "run.facts": "Where it is",
    "run.journey": "Stops and events",
    "run.arrived": "Arrived",
    "run.position": "Position",
    "run.at": "at {last}",
    "run.between": "past {last}, heading for {next}",
    "run.arrivedAt": "arrived at {stop}",
    "run.eta": "ETA",
    "run.etaBasis.operator": "operator's estimate",
    "run.etaBasis.route_history": "from the route's recent transit times",
    "run.transit": "Transit time",
    "run.days": "{n} days",
    "run.boxes": "Containers listed",
    "run.here": "here",
    "run.next": "next",
    "run.delete": "Delete run",
    "run.confirmDelete": "Delete train {number}? Its journey events go with it (the audit log keeps them).",
    "ev.heading": "Record a journey event",
    "ev.type": "Event",
    "ev.type.departed": "departed",
    "ev.type.arrived": "arrived",
    "ev.type.border_crossed": "crossed the border",
    "ev.type.gauge_changed": "changed gauge",
    "ev.type.held": "held",
    "ev.type.estimated_arrival": "estimated arrival",
    "ev.stop": "Stop",
    "ev.at": "When (reporting time zone)",
    "ev.reason": "Why it is held",
    "ev.eta": "Expected arrival at the final stop",
    "ev.note": "Note (optional)",
    "ev.submit": "Record event",
    "ev.arrival": "Arrived at the final stop",
    "ev.recorded": "Recorded: {type}, {stop}, {at}.",
    "ev.estimate": "expected {eta} (estimate of {at})",
    "ev.retract": "retract",
    "ev.retractLabel": "Retract {type} at {stop}",
    "ev.confirmRetract": "Retract the event “{type}” at {stop}? The audit log keeps it.",
    "edit.heading": "Change or delete the run",
    "edit.arrived": "Arrived (reporting time zone)",
    "edit.submit": "Save changes",
    "edit.saved": "Saved.",
    "ov.transit": "In transit",
    "ov.transit.none": "No train is on its way now.",
    "ov.transit.label": "Trains in transit (scrolls sideways)",
    "col.position": "Position",
    "col.eta": "ETA",
    "rt.transit": "Median transit: outbound {out}, inbound {in} ({n} arrived)",
    "rt.withinPlan": "; {pct} arrived within the planned {plan} days",
  },
};

function initialLang() {
  const q = new URLSearchParams(location.search).get("lang");
  if (q === "zh" || q === "en") return q;
  try {
    const saved = localStorage.getItem("banlie.lang");
    if (saved === "zh" || saved === "en") return saved;
  } catch (e) { /* storage may be off */ }
  return (navigator.language || "zh").toLowerCase().startsWith("zh") ? "zh" : "en";
}

export let lang = initialLang();
export const locale = () => (lang === "zh" ? "zh-CN" : "en-GB");

export function setLang(l) {
  lang = l;
  try { localStorage.setItem("banlie.lang", l); } catch (e) { /* storage may be off */ }
}

// t answers the text for key in the current language, with {name} filled from vars.
export function t(key, vars) {
  let s = texts[lang][key];
  if (s === undefined) s = texts.en[key] !== undefined ? texts.en[key] : key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] !== undefined ? String(vars[k]) : m));
  return s;
}

const cache = new Map();
function fmt(kind, opts) {
  const key = lang + kind;
  if (!cache.has(key)) cache.set(key, kind.startsWith("n") ? new Intl.NumberFormat(locale(), opts) : new Intl.DateTimeFormat(locale(), opts));
  return cache.get(key);
}

export const num = (n) => (n === null || n === undefined ? "—" : fmt("n", {}).format(n));

// WAN_FROM is the smallest figure written in 万, as the server's page says
// (the monthly summaries write by the same figure).
const WAN_FROM = Number(document.documentElement.dataset.wanFrom) || 10000;

// teu writes a TEU figure; in Chinese, figures from WAN_FROM up are written
// in 万 with up to two decimals, as the monthly summaries do (2,100,200 →
// "210.02万"), smaller ones as integers.
export function teu(n) {
  if (n === null || n === undefined) return "—";
  if (lang !== "zh" || Math.abs(n) < WAN_FROM) return num(n);
  const hundredths = Math.round(Math.abs(n) / 100); // half up, as the summaries
  let s = Math.floor(hundredths / 100) + "." + String(hundredths % 100).padStart(2, "0");
  s = s.replace(/0+$/, "").replace(/\.$/, "");
  return (n < 0 ? "-" : "") + s + "万";
}

// pct writes a growth or share with one decimal and, for growth, a sign: +18.1%.
export function pct(v, signed) {
  if (v === null || v === undefined) return "—";
  const s = fmt(signed ? "ns" : "np", { minimumFractionDigits: 1, maximumFractionDigits: 1, signDisplay: signed ? "exceptZero" : "auto" }).format(v);
  return s + "%";
}

// date formats a calendar date "YYYY-MM-DD" (no zone shift).
export function date(d) {
  if (!d) return "—";
  const [y, m, day] = d.split("-").map(Number);
  return sep(fmt("d", { dateStyle: "medium", timeZone: "UTC" }).format(new Date(Date.UTC(y, m - 1, day))));
}

// dateTime formats an RFC 3339 instant in the reporting time zone.
export function dateTime(s) {
  if (!s) return "—";
  return sep(fmt("dt", { dateStyle: "medium", timeStyle: "short", timeZone: ZONE }).format(new Date(s)));
}

export function clock(d) {
  return fmt("c", { timeStyle: "medium", timeZone: ZONE }).format(d);
}

// The three-letter English abbreviations (en-GB's Intl writes "Sept").
const SHORT_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export function monthName(m, style) {
  if (lang === "en" && style === "short") return SHORT_EN[m - 1];
  return fmt("m" + (style || "long"), { month: style || "long", timeZone: "UTC" }).format(new Date(Date.UTC(2000, m - 1, 1)));
}

// sep writes September's abbreviation as the other months': "Sep", not "Sept".
const sep = (s) => (lang === "en" ? s.replace(/\bSept\b/g, "Sep") : s);

// period names January–through of a year: "January–October 2024" / "2024年1—10月".
export function period(year, through) {
  if (lang === "zh") return through === 1 ? `${year}年1月` : `${year}年1—${through}月`;
  return through === 1 ? `${monthName(1)} ${year}` : `${monthName(1)}–${monthName(through)} ${year}`;
}

// monthOf names a month "YYYY-MM": "October 2024" / "2024年10月".
export function monthOf(ym) {
  const [y, m] = ym.split("-").map(Number);
  return lang === "zh" ? `${y}年${m}月` : `${monthName(m)} ${y}`;
}

export function country(code) {
  try {
    return new Intl.DisplayNames([locale()], { type: "region" }).of(code) || code;
  } catch (e) {
    return code;
  }
}

// Places are stored in one spelling (English); in Chinese the usual names
// of the border crossings and common places are shown, others as stored.
const placesZh = {
  "Alashankou": "阿拉山口", "Khorgos": "霍尔果斯", "Erenhot": "二连浩特", "Manzhouli": "满洲里",
  "Suifenhe": "绥芬河", "Tongjiang": "同江", "Dostyk": "多斯特克", "Altynkol": "阿腾科里",
  "Zamyn-Üüd": "扎门乌德", "Zabaikalsk": "后贝加尔斯克", "Grodekovo": "格罗捷科沃",
  "Nizhneleninskoye": "下列宁斯阔耶", "Naushki": "纳乌什基", "Brest": "布列斯特",
  "Małaszewicze": "马拉舍维奇", "Sarakhs": "萨拉赫斯",
  "Jiaozhou (SCO Zone)": "胶州（上合示范区）", "Jiaozhou": "胶州", "Qingdao": "青岛", "Qingdao Port": "青岛港",
  "Moscow": "莫斯科", "Minsk": "明斯克", "Almaty": "阿拉木图", "Tashkent": "塔什干",
  "Duisburg": "杜伊斯堡", "Hamburg": "汉堡", "Budapest": "布达佩斯", "Novosibirsk": "新西伯利亚",
  "Ulaanbaatar": "乌兰巴托", "Tehran": "德黑兰", "Vorsino": "沃尔西诺", "Busan": "釜山",
  "St Petersburg": "圣彼得堡", "Vladivostok": "符拉迪沃斯托克", "Nakhodka": "纳霍德卡",
  "Vostochny": "东方港", "Novorossiysk": "新罗西斯克", "Bandar Abbas": "阿巴斯港", "Bushehr": "布什尔",
  "Chabahar": "恰巴哈尔", "Chennai": "金奈", "Cochin": "科钦", "Gwadar": "瓜达尔", "Hazira": "哈兹拉",
  "Karachi": "卡拉奇", "Kolkata": "加尔各答", "Mundra": "蒙德拉", "Nhava Sheva": "那瓦舍瓦",
  "Port Qasim": "卡西姆港", "Tuticorin": "图蒂戈林", "Visakhapatnam": "维沙卡帕特南",
  "Port Klang": "巴生港", "Port Said": "塞得港", "Singapore": "新加坡",
  "Warsaw": "华沙", "Łódź": "罗兹", "Madrid": "马德里", "Milan": "米兰", "Istanbul": "伊斯坦布尔",
  "Selyatino": "谢利亚季诺", "Elektrougli": "电炭城", "Mannheim": "曼海姆", "Xi'an": "西安",
};

// place names a stop in the page's language, falling back to the stored name.
export function place(name) {
  return (lang === "zh" && placesZh[name]) || name;
}

// Route tags, shown readably; unknown tags as words ("new-tag" → "new tag").
const tagsText = {
  zh: {
    "first-in-province": "省内首条", "west-corridor": "西通道", "central-corridor": "中通道", "east-corridor": "东通道",
    "japan-korea-land-sea-express": "日韩陆海快线", "sea-rail": "海铁联运", "tir": "TIR公路运输", "sco-member-port": "上合组织成员国港口",
  },
  en: {
    "first-in-province": "first in province", "west-corridor": "western corridor", "central-corridor": "central corridor",
    "east-corridor": "eastern corridor", "japan-korea-land-sea-express": "Japan–Korea land-sea express", "sea-rail": "sea-rail",
    "tir": "TIR road transport", "sco-member-port": "SCO member port",
  },
};

export function tag(name) {
  return tagsText[lang][name] || name.replace(/[-_]+/g, " ");
}

// today answers the date "YYYY-MM-DD" in the reporting time zone.
export function today() {
  const p = new Intl.DateTimeFormat("en-CA", { timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(new Date());
  const get = (k) => p.find((x) => x.type === k).value;
  return `${get("year")}-${get("month")}-${get("day")}`;
}

// applyTexts fills every element marked data-i18n (text) and
// data-i18n-attr="attr:key;attr:key" (attributes) under root.
export function applyTexts(root) {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en-GB";
  for (const el of root.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n, { offset: ZONE_OFFSET });
  }
  for (const el of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of el.dataset.i18nAttr.split(";")) {
      const [attr, key] = pair.split(":");
      el.setAttribute(attr, t(key));
    }
  }
}

// Field errors are said from their code and params, in either language
// (the server's English message is not read; it is shown only for a code
// this page does not know). See FieldError in the OpenAPI document.

// Field names in Chinese, for a message that names another field or a
// field that has no place of its own on the page.
const fieldsZh = {
  route: "线路", number: "车次", direction: "方向", status: "状态", departed_at: "发车时间", arrived_at: "到达时间",
  containers: "集装箱数", teu: "标箱数", cargo: "货物", container_numbers: "箱号", from: "开始日期", to: "结束日期",
  type: "事件", at: "时间", stop: "站点", reason: "滞留原因", eta: "预计到达",
  mode: "运输方式", year: "年份", through: "截至月份", limit: "每页条数", cursor: "翻页标记", metric: "指标",
  scope: "范围", "scope.mode": "范围的运输方式", "scope.route": "范围的线路", value: "目标值", label: "说明",
  as_of: "截至日期", period: "月份", date: "日期", port: "港口", note: "备注", name: "名称", code: "代码",
  country: "国家代码", role: "角色", stops: "站点", tags: "标签", opened_on: "开通日期", counted: "是否计入",
  csv: "CSV文件", "Content-Type": "Content-Type", "Idempotency-Key": "幂等键",
};

// fieldName names a field of the API in the page's language.
export function fieldName(field) {
  return (lang === "zh" && fieldsZh[field]) || field;
}

// valueName names an allowed value of field in the page's language (the
// API's own value in English).
function valueName(field, v) {
  if (typeof v !== "string") return JSON.stringify(v);
  if (lang !== "zh") return v;
  const name = field.replace(/^line \d+: /, ""); // a CSV line's field
  if (seaRailZh[v] && name === "direction") return seaRailZh[v];
  const kind = { direction: "dir", status: "status", mode: "mode", "scope.mode": "mode" }[name] || (/\.role$/.test(name) ? "role" : "");
  return (kind && texts.zh[kind + "." + v]) || v;
}

// Sea-rail counts are seen from the port.
const seaRailZh = { import: "进口", export: "出口" };

// either joins values as "a or b" / "a, b or c" in the page's language.
function either(vs) {
  if (lang === "zh") return vs.length <= 2 ? vs.join("或") : vs.slice(0, -1).join("、") + "或" + vs[vs.length - 1];
  return vs.length <= 2 ? vs.join(" or ") : vs.slice(0, -1).join(", ") + " or " + vs[vs.length - 1];
}

const zh = () => lang === "zh";

const formats = {
  instant: () => zh() ? "须为带时区偏移的时间，如2024-10-12T09:30:00+08:00" : "must be an RFC 3339 instant with an offset, e.g. 2024-10-12T09:30:00+08:00",
  date: () => zh() ? "日期格式应为YYYY-MM-DD" : "must be a date YYYY-MM-DD",
  month: () => zh() ? "月份格式应为YYYY-MM" : "must be a month YYYY-MM",
  year: () => zh() ? "须为年份，如2024" : "must be a year such as 2024",
  integer: () => zh() ? "须为整数" : "must be a whole number",
  json: () => zh() ? "不是有效的JSON" : "is not valid JSON",
  csv: () => zh() ? "不是有效的CSV" : "is not valid CSV",
  cursor: () => zh() ? "翻页标记无效：不是本服务为此列表给出的" : "is not a cursor this server issued for this list",
  route_code: (p) => zh() ? `须符合${p.pattern}（大写字母、数字和连字符，2到32个字符）` : `must match ${p.pattern} (upper-case letters, digits and hyphens, 2 to 32 characters)`,
  country_code: () => zh() ? "须为实际存在的ISO 3166-1两位国家代码，如RU" : "must be an ISO 3166-1 alpha-2 country code that exists, e.g. RU",
  locode: (p) => {
    if (p.prefix !== undefined) return zh() ? `须以该站的国家代码${p.prefix}开头` : `must start with the stop's country code ${p.prefix}`;
    if (p.unknown_country !== undefined) return zh() ? `须以国家代码开头，而${p.unknown_country}不是ISO 3166-1国家代码` : `must start with a country code, and ${p.unknown_country} is not an ISO 3166-1 country code`;
    return zh() ? "须为5个字符：国家代码加3个A–Z或2–9的字符" : "must be 5 characters: country code and 3 of A–Z, 2–9";
  },
  container_number: (p) => ({
    length: () => zh() ? "须为11个字符" : "must be 11 characters",
    owner: () => zh() ? "箱主代码须为3个字母A–Z" : "owner code must be 3 letters A–Z",
    category: () => zh() ? "类别须为U、J或Z" : "category must be U, J or Z",
    serial: () => zh() ? "序号须为6位数字" : "serial number must be 6 digits",
  }[p.part] || (() => zh() ? "不是有效的ISO 6346箱号" : "is not an ISO 6346 container number"))(),
  printable_ascii: (p) => zh() ? `须为1到${p.max}个可打印的ASCII字符` : `must be 1 to ${p.max} printable ASCII characters`,
};

const typesZh = { string: "文字", integer: "整数", number: "数字", boolean: "true或false", array: "列表", object: "对象" };
const typesEn = { string: "a string", integer: "an integer", number: "a number", boolean: "true or false", array: "an array", object: "an object" };

// fieldCodes builds the text of each code from its params (p) and field (f).
const fieldCodes = {
  required: (p, f) => {
    if (/^header: /.test(f)) return zh() ? "表头缺少这一列" : "is a column the header lacks";
    if (f === "csv") return zh() ? "是空的：请先写表头行" : "is empty: send the header line first";
    if (p.if === undefined) return zh() ? "必填" : "is required";
    if (p.not_equals !== undefined) return zh() ? `${fieldName(p.if)}不是${p.not_equals}时必填` : `is required unless ${p.if} is ${p.not_equals}`;
    return zh() ? `${fieldName(p.if)}为${valueName(p.if, p.equals)}时必填` : `is required when ${p.if} is ${p.equals}`;
  },
  invalid_format: (p) => {
    if (p.got === "null") return zh() ? "不能为空值；不修改就不要给出这一项" : "cannot be null; leave it out to keep its value";
    if (p.type !== undefined) {
      return zh() ? `须为${typesZh[p.type] || p.type}` : `must be ${typesEn[p.type] || p.type}, not a JSON ${p.got}${p.value !== undefined ? " " + p.value : ""}`;
    }
    const f = formats[p.format];
    return f ? f(p) : (zh() ? "格式不对" : "has the wrong format");
  },
  out_of_range: (p) => {
    if (p.relative_to === "containers") {
      return zh() ? `须在集装箱数（${p.min}）与其${p.factor}倍（${p.max}）之间` : `must be between containers (${p.min}) and ${p.factor} × containers (${p.max})`;
    }
    if (p.unit === "year") return zh() ? `年份须在${p.min}到${p.max}之间` : `must be between the years ${p.min} and ${p.max}`;
    return zh() ? `须在${p.min}到${p.max}之间` : `must be between ${p.min} and ${p.max}`;
  },
  too_long: (p) => zh() ? `最多${p.max}个字符` : `must be at most ${p.max} characters`,
  too_many: (p, f) => {
    if (f === "container_numbers") return zh() ? `列出了${p.count}个箱号，但集装箱数为${p.max}` : `lists ${p.count} containers but containers is ${p.max}`;
    if (f === "csv") return zh() ? `有${p.count}行，每次最多${p.max}行：请拆分文件（已导入的行重新提交时会跳过）` : `has ${p.count} lines; send at most ${p.max} per request (split the file: lines already imported are skipped when sent again)`;
    if (/^line \d+$/.test(f)) return zh() ? `有${p.count}个单元格，但表头只有${p.max}列（含逗号的值须加引号）` : `has ${p.count} cells but the header ${p.max} (a value with a comma needs quotes)`;
    if (p.count === undefined) return zh() ? `最多${p.max}项` : `must have at most ${p.max} items`;
    return zh() ? `最多${p.max}项，现有${p.count}项` : `has ${p.count} items; at most ${p.max} are allowed`;
  },
  too_few: (p) => zh() ? `至少须有${p.min}项` : `must have at least ${p.min} items`,
  invalid_value: (p, f) => {
    const allowed = (p.allowed || []).map((v) => valueName(f, v));
    if (p.stop) {
      const where = { first: zh() ? "首站" : "the first stop", last: zh() ? "终点站" : "the last stop", between: zh() ? "中间各站" : "a stop between origin and destination" }[p.stop];
      return zh() ? `${where}的角色须为${either(allowed)}` : `${where} must have role ${either(allowed)}`;
    }
    if (p.metric !== undefined) return zh() ? `${p.metric}目标只能用空范围{}` : `a ${p.metric} target takes only the empty scope {}`;
    if (p.param === "charset") return zh() ? `字符集须为${either(allowed)}，而不是${p.value}` : `must be ${either(allowed)}, not charset "${p.value}"`;
    if (p.value !== undefined) return zh() ? `须为${either(allowed)}，而不是${p.value}` : `must be ${either(allowed)}, not "${p.value}"`;
    if (allowed.length <= 2) return zh() ? `须为${either(allowed)}` : `must be ${either(allowed)}`;
    return zh() ? `须为${allowed.join("、")}之一` : `must be one of ${allowed.join(", ")}`;
  },
  check_digit: (p) => {
    if (p.got === undefined) return zh() ? `校验位须为数字${p.expected}` : `check digit must be the digit ${p.expected}`;
    return zh() ? `校验位应为${p.expected}，而不是${p.got}` : `check digit must be ${p.expected}, not ${p.got}`;
  },
  unknown_field: (p, f) => {
    if (p.mode !== undefined) return zh() ? `只在导入方式${p.mode}（mode=${p.mode}，更新已有记录）时可用；否则请删去这一列` : `is read only with mode=${p.mode} (which updates stored runs); otherwise take the column out`;
    if (/^header: /.test(f)) return zh() ? `不是可导入的列；可用的有${(p.allowed || []).join("、")}` : `is not a column the import reads; it reads ${(p.allowed || []).join(", ")}`;
    return zh() ? "不是这类数据的字段，或不能修改" : "is not a field of this resource, or cannot be changed";
  },
  unknown_parameter: (p) => {
    const known = p.allowed || [];
    if (!known.length) return zh() ? "不是这一请求可用的查询参数（它不接受查询参数）" : "is not a query parameter of this request, which takes none";
    return zh() ? `不是这一请求可用的查询参数；可用的有${known.join("、")}` : `is not a query parameter of this request; it takes ${known.join(", ")}`;
  },
  read_only: () => zh() ? "不能修改" : "cannot be changed",
  duplicate_key: () => zh() ? "重复出现" : "is given twice",
  duplicate: (p, f) => {
    if (/^header: /.test(f)) return zh() ? `与另一列同为${fieldName(p.value)}` : `is the column ${p.value} a second time`;
    if (p.line !== undefined) return zh() ? `班列记录${p.value}已在第${p.line}行，一个文件只能修改一次` : `run ${p.value} is on line ${p.line} already; a file updates a run once`;
    return zh() ? `${p.value}重复列出` : `${p.value} is listed twice`;
  },
  conflict: (p) => {
    switch (p.resource) {
      case "run":
        if (p.container !== undefined) {
          return zh() ? `箱号${p.container}同一时间在${p.route}线路的${p.number}次班列上（班列记录${p.id}）` : `container ${p.container} is on train ${p.number} (run ${p.id}, route ${p.route}) at the same time`;
        }
        return zh() ? `${p.route}线路的${p.number}次班列已于${p.date}登记发车，不能重复登记` : `train ${p.number} already departs on ${p.date} on route ${p.route}`;
      case "sea_rail_count":
        return zh() ? `${p.port}在这一天已有${seaRailZh[p.direction] || p.direction}数量，不能重复登记` : `${p.port} already has an ${p.direction} count for this date`;
      case "run_event":
        return zh() ? `该班列已登记${p.count ?? ""}个途中事件，不能修改；请先撤销这些事件` : `cannot change while the run has ${p.count ?? "its"} journey events; retract them first`;
      case "idempotency_key":
        return zh() ? `该幂等键在${p.hours}小时内已用于另一请求，请换用新的` : `was already used, within ${p.hours} hours, for a different request; use a new key`;
    }
    return zh() ? "已存在，不能重复登记" : "already exists";
  },
  not_found: (p) => {
    if (p.resource === "route") return zh() ? `没有代码为${p.value}的线路` : `no route with code "${p.value}"`;
    if (p.resource === "run") return zh() ? `没有编号为${p.value}的班列记录（新记录请留空id）` : `no run with id ${p.value} (leave the id blank for a new run)`;
    return zh() ? `没有${p.value}` : `no ${p.resource} ${p.value}`;
  },
  invalid_text: (p) => ({
    utf8: () => zh() ? "须为有效的UTF-8文本" : "must be valid UTF-8",
    control: () => zh() ? "不能含有控制字符" : "must not contain control characters",
    invisible: () => zh() ? "不能含有不可见的格式字符" : "must not contain invisible formatting characters",
    line_break: () => zh() ? "须为一行，不能含换行或制表符" : "must be one line, without line breaks or tabs",
    gb18030: () => zh() ? "不是有效的GB18030文本" : "is not valid GB18030 text",
    gbk: () => zh() ? "不是有效的GBK文本" : "is not valid GBK text",
  }[p.reason] || (() => zh() ? "含有不允许的字符" : "holds characters that are not allowed"))(),
  order: (p) => {
    if (p.other_stop !== undefined) {
      const ev = zh() ? (texts.zh["ev.type." + p.other_type] || p.other_type) : (texts.en["ev.type." + p.other_type] || p.other_type);
      return zh() ? `与行程顺序不符：该班列已于${p.other_at}在第${p.other_stop}站${ev}（按线路顺序经停各站，回程倒序）` : `is out of the journey's order: the run ${ev} at stop ${p.other_stop} at ${p.other_at} (stops are visited in the route's order, in reverse inbound)`;
    }
    if (p.other_event !== undefined && p.before !== undefined) return zh() ? `不能晚于第一个途中事件（${p.before}）` : `must not be after the journey's first event (${p.before})`;
    if (p.other_event !== undefined && p.min !== undefined) return zh() ? `不能早于最近的途中事件（${p.min}）` : `must not be before the journey's latest event (${p.min})`;
    if (p.other !== undefined) return zh() ? `不能早于${fieldName(p.other)}` : `must not be before ${p.other}`;
    if (p.min !== undefined) return zh() ? `不能早于${p.min}` : `must not be before ${p.min}`;
    return zh() ? `须为${p.before}之前的月份` : `must be a month before ${p.before}`;
  },
  exclusive: (p) => zh() ? `${(p.fields || []).map(fieldName).join("和")}只能给出其一` : `give ${(p.fields || []).join(" or ")}, not both`,
  no_data: (p) => zh() ? `${p.year}年没有班列或海铁联运数据` : `${p.year} has no runs or sea-rail counts`,
  unknown_port: (p) => zh() ? `没有代码为${p.value}的港口；已知港口：${(p.known || []).join("、")}` : `no port has the code "${p.value}"; known ports: ${(p.known || []).join(", ")}`,
  private_address: (p) => p.reason === "unresolved"
    ? (zh() ? `主机${p.host}无法解析` : `the host ${p.host} does not resolve`)
    : (zh() ? `主机${p.host}指向非公网地址${p.address || ""}，只能推送到公网地址（除非服务以--webhook-allow-private运行）` : `the host ${p.host} is, or resolves to, a non-public address${p.address ? " (" + p.address + ")" : ""}; webhooks go to public addresses only, unless the server runs with --webhook-allow-private`),
};

// fieldText says one of the server's field errors ({ field, code, params,
// message }) in the page's language. A code this page does not know is
// shown in the server's own words.
export function fieldText(fe) {
  const say = fieldCodes[fe.code];
  return say ? say(fe.params || {}, fe.field) : fe.message;
}

// problemText is the reader's summary of a refused request, an ApiError
// ({ status, problem, retryAfter }): in English the server's detail; in
// Chinese the problem's one field error, said from its code, or else a
// description of the status (with the wait of a 429). The server's own
// detail stays available to show beside it (see serverDetail).
export function problemText(err) {
  const p = err.problem || {};
  if (lang !== "zh") return p.detail || t(statusKey(err.status));
  const errs = p.errors || [];
  if (errs.length === 1) return (errs[0].field ? fieldName(errs[0].field) + "：" : "") + fieldText(errs[0]);
  if (err.status === 429 && err.retryAfter) return t("problem.429wait", { n: err.retryAfter });
  return t(statusKey(err.status));
}

// serverDetail answers the server's detail when problemText did not show it as it is.
export function serverDetail(err) {
  const d = err.problem && err.problem.detail;
  return d && problemText(err) !== d ? d : "";
}

function statusKey(status) {
  if (status >= 500) return "problem.5xx";
  return texts.zh["problem." + status] ? "problem." + status : "problem.other";
}
